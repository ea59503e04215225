"""The cue phrases that make a customer message read as urgent or upset.

Lexicons, not a model: every flag must be explainable by the words that raised
it, and the demo's four languages (English, Korean, Chinese, Japanese) are
covered with hand-checked phrases. *Calm* phrases cancel what would otherwise
look like a cue ("not urgent", "no rush", 不急, 급하지 않), and the stock polite
closings that only sound urgent (빠른 답변 부탁드립니다, 请尽快) are left out on
purpose: labelled sets (bench/data/tone_labelled.tsv, tone_dev.tsv) hold precision
and recall, and a blind one (tone_blind.tsv) is never used to tune these lists.

English phrases are words separated by spaces; a slot may list alternatives
with "/", end in "?" when it may be left out, and "#time" stands for a clock
time (3pm, 10:30am). CJK phrases match as substrings (no spaces to lean on).
"""

from __future__ import annotations

URGENT_EN = (
    "urgent/urgently",
    "asap",
    "as soon as possible",
    "immediately",
    "right away/now",
    "emergency",
    "critical",
    "top priority",
    "time-sensitive",
    "time sensitive",
    "is/are/went/gone/been/was/still/completely/totally down",
    "outage",
    "we're/i'm/everyone's completely/totally? blocked",
    "we/i/everyone/team are/am/is completely/totally? blocked",
    "blocking/blocks our/us/everyone/everything",
    "can't/cannot work/operate/ship/sell/pay/process",
    "losing/lose money/customers/sales/orders/revenue",
    "in/for/blocks/affects production",
    "production is/system/site/server",
    "by/before the? end of the? day/today",
    "by/before eod",
    "by/before/until tonight",
    "by/before/until noon/#time today",
    "today please",
    "within the next? hour",
    "deadline",
    "every minute/hour counts/matters",
    "cannot/can't wait",
    # Impact with no cue word: who cannot work, what stopped, what is being lost.
    "not working for anyone/anybody/everyone",
    "nothing works",
    "nobody/no-one can",
    "no one can",
    "none of our",
    "whole/entire team/office/company/clinic/shop/store/site/staff",
    "all our/of our customers/users/staff/stores/drivers/subscribers/clients/orders",
    "for all our/of our? customers/users/staff/stores/drivers/subscribers/clients",
    "can't/cannot place/take/accept an? orders/order/payments/payment/bookings",
    "is/are/went/gone/all? offline",
    "is/are unreachable/unusable",
    "hacked",
    "leaked",
    "turning customers away",
    "customers/guests/patients/trucks/drivers/people are waiting/queueing",
    "losing/lose/missing/lost orders/bookings/data",
    "dead in the water",
    "deliveries/sales/orders/production have/has stopped",
    # A deadline close at hand: a clock time, minutes or hours away, tonight, tomorrow
    # morning; a day that is only a plan ("in March") is not one.
    "starts/closes/expires/opens/leaves/ends/begins/is at #time",
    "at #time today/tonight/tomorrow",
    "by #time",
    "before #time",
    "at midnight/noon today?",
    "in/within #num minutes/mins/hours/hrs",
    "in/within an/the hour",
    "tomorrow morning/at",
    "before then",
    "by/before the? end of the? day",
    "by/before/until tonight",
    "tonight",
    "is/starts/begins/opens tomorrow/tonight",
    "our? busiest day/week/night/season",
    "sorted/fixed/delivered/deliver/shipped/ships/restored/back today",
    "today or",
)
# Spelled-out counts for "#num" (besides digits): "in two hours", "within 30 minutes".
NUMBERS = frozenset(
    ("a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "few", "couple")
)  # fmt: skip
# Phrases that take the urgency out of a message's cues.
CALM_EN = (
    "not/isn't/nothing very/really/super/at? urgent",
    "not all that urgent",
    "no rush/hurry/urgency",
    "not in a rush/hurry",
    "whenever you/it's",
    "when you get/have a chance/moment/minute",
    "not a/high? priority",
    "not critical",
    "not an emergency",
    "low priority",
    "no deadline",
    "not down",
    "was/were down/offline/unreachable last/yesterday/earlier",
    # Cue words used in passing: naming a feature, a label, a kind of ticket, the past.
    "mark/flag/set/tag it/them/a/the? conversation/ticket/message? as urgent/critical/high",
    "label/marked/flagged it/them/a/the? conversation/ticket/message? as urgent/critical/high",
    "a/the ticket/message/conversation is urgent/critical",
    "urgent/emergency/critical notifications/notification/notices/alerts/tickets/bugs",
    "urgent/emergency/critical label/flag/tag/access/contacts/roles/drill",
    "critical of",
    "outage last/yesterday/earlier/report/page/status",
    "last week's/month's/night's/tuesday's outage",
    "down to",
    "be down for",
    "deadline field/for",
    "came back",
    "it worked in the end",
)
UPSET_EN = (
    "unacceptable",
    "ridiculous",
    "absurd",
    "outrageous",
    "appalling",
    "pathetic",
    "terrible",
    "awful",
    "horrible",
    "horrendous",
    "disgusting",
    "disgrace",
    "furious",
    "angry",
    "livid",
    "frustrated/frustrating",
    "disappointed/disappointing",
    "unhappy",
    "fed up",
    "sick of",
    "sick and tired",
    "worst",
    "useless",
    "incompetent",
    "is/what a joke",
    "waste of time/money",
    "scam",
    "rip-off/ripoff",
    "never again",
    "lawyer",
    "file/filing a chargeback",
    "third/fourth/fifth/sixth time/email/message",
    "once again",
    "how hard/difficult can/is it",
    "thanks for nothing",
    "oh great/wonderful/perfect/fantastic/brilliant/joy",
    "just great/wonderful/perfect/brilliant",
    "yeah right",
    "love/loving how/being/waiting",
    "what a surprise/shock",
    "surprise surprise",
    "no one/one's has? answered/replied/responded/bothered",
    "nobody answers/replies/cares/bothered",
    "are you even/serious",
)
CALM_UPSET_EN = (
    "not angry/upset/frustrated/disappointed/complaining",
    "no complaints",
    "not the worst",
    "terribly sorry",
    "worst case",
)
# Clock times for "#time": 3pm, 10am, 9:30, 17:00.
TIME_TOKEN = r"\d{1,2}(?::\d\d)?(?:am|pm)?|\d{1,2}:\d\d"

URGENT_CJK = (
    # Korean
    "긴급", "급합니다", "급해요", "급한", "급히", "빨리", "당장", "즉시", "오늘 중", "오늘중",
    "오늘까지", "지금 바로", "서둘러", "시급", "마감", "업무가 마비", "장애",
    # Chinese
    "紧急", "加急", "很急", "非常急", "着急", "急用", "马上", "立刻", "立即", "今天之内",
    "今天内", "十万火急", "刻不容缓", "截止", "瘫痪", "宕机",
    # Japanese
    "至急", "緊急", "大至急", "急ぎ", "急いで", "今日中", "本日中", "すぐに", "早急",
    "直ちに", "締め切り", "締切", "業務が止ま", "障害",
    # Impact and deadlines with no cue word: who cannot log in or pay, what is lost, an
    # hour named ("by 3 o'clock", "within the hour").
    "시까지", "오늘 안에", "시간 안에", "전 직원", "모든 직원", "접속이 안", "주문을 못",
    "결제가 안", "업무를 전혀", "해킹", "매출이", "멈춰 주세요", "오늘 복구", "마비", "먹통",
    "손해", "내일까지",
    "点之前", "小时内", "全公司", "全体员工", "无法付款", "无法支付", "流失", "打不开", "被盗",
    "离线", "没法营业", "无法营业", "故障", "今天能", "一定要", "损失", "停摆", "明天之前",
    "今晚",
    "時までに", "時間以内", "全員", "決済でき", "取りこぼ", "アクセスできません", "乗っ取",
    "オフライン", "止めてください", "業務がまったく", "損失", "明日まで", "今夜", "止まって",
)  # fmt: skip
# A CJK cue after one of these is history ("last week's outage"), and before one of
# these it names a feature or a field ("an urgent notice feature", "the deadline field").
CJK_PAST = ("지난주", "지난달", "上周", "上个月", "先週", "先月")
CJK_FEATURE = ("기능", "필드", "功能", "栏", "欄", "機能")
CALM_CJK = (
    "급하지 않", "급한 건 아니", "급한 일은 아니", "천천히", "시간 되실 때",
    "不急", "不着急", "不用急", "不紧急", "有空", "慢慢",
    "急ぎではありません", "急ぎません", "お手すきの際", "急がなくて", "ゆっくり",
)  # fmt: skip
UPSET_CJK = (
    # Korean
    "화가 나", "화가 납니다", "화납니다", "짜증", "실망", "최악", "어이가 없", "어이없",
    "황당", "말이 됩니까", "말이 되나요", "장난하", "불쾌", "너무하", "몇 번째",
    "언제까지 기다려", "소비자원",
    # Chinese
    "太差", "很差", "生气", "气死", "失望", "垃圾", "投诉", "骗子", "骗人", "搞什么",
    "太过分", "过分", "无语", "受够", "离谱", "什么破", "第三次",
    # Japanese
    "ひどい", "酷い", "最悪", "がっかり", "怒り", "腹が立", "不愉快", "ありえない",
    "あり得ない", "いい加減", "納得できません", "うんざり", "二度と", "呆れ", "何度目",
)  # fmt: skip
CALM_UPSET_CJK = (
    "실망하지 않", "화가 나지 않", "不失望", "不生气", "がっかりしていません",
)  # fmt: skip
