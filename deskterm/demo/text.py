"""Phrase banks for the demo store: names, companies, and support conversations.

Sentences are `str.format` templates over a few slots ({order}, {invoice},
{feature}, {days}, {amount}, {plan}, {device}, {version}, {bug}, {product});
threads are assembled from them, so millions of messages cost microseconds each.
Korean, Chinese and Japanese banks use the words a search must find (환불, 退款, 返金).
"""

from __future__ import annotations

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Sophia", "Mateo", "Isabella", "Elijah",
    "Mia", "James", "Amelia", "Oliver", "Harper", "Benjamin", "Evelyn", "Henry", "Abigail",
    "Jack", "Emily", "Samuel", "Ella", "David", "Grace", "Joseph", "Chloe", "Daniel", "Zoe",
    "Leo", "Nora", "Thomas", "Hannah", "Marcus", "Sofia", "Rafael", "Laura", "Jonas", "Freya",
    "Ahmed", "Fatima", "Omar", "Aisha", "Ravi", "Ananya", "Arjun", "Diego", "Lucia", "Pierre",
    "Camille", "Lars", "Ingrid", "Tomasz", "Katarzyna", "Giulia", "Marco", "Sean", "Aoife",
    "Kwame", "Amara", "Nina", "Victor", "Elena", "Mark", "Rachel", "Peter", "Julia", "Tyler",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Hill", "Green", "Adams",
    "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell",
    "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers",
    "Schmidt", "Müller", "Rossi", "Dubois", "Novak", "Kowalski", "Jensen", "Nielsen", "Silva",
    "Santos", "Okafor", "Mensah", "Sharma", "Khan", "O'Brien", "Fischer", "Bianchi", "Larsen",
)  # fmt: skip
KO_NAMES = (
    "김민준", "이서연", "박지훈", "최수아", "정예준", "강하은", "조도윤", "윤지우", "장서준",
    "임하린", "한지민", "오승현", "서유진", "신동현", "권나연", "황민재",
)  # fmt: skip
ZH_NAMES = (
    "王芳", "李伟", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴婷", "徐明",
    "孙悦", "马超", "朱琳", "胡斌", "郭晓",
)  # fmt: skip
JA_NAMES = (
    "佐藤 健", "鈴木 花子", "高橋 翔", "田中 美咲", "伊藤 大輔", "渡辺 陽子", "山本 拓海",
    "中村 結衣", "小林 蓮", "加藤 さくら", "吉田 悠斗", "山田 愛",
)  # fmt: skip
# Romanized local parts for CJK customers' addresses.
CJK_HANDLES = (
    "minjun", "seoyeon", "jihoon", "sua", "wangfang", "liwei", "zhangmin", "liuyang",
    "chenjing", "k.sato", "hanako", "sho.t", "misaki", "daisuke", "yoko.w", "takumi",
)  # fmt: skip

ORG_PREFIXES = (
    "Northwind", "Bluebird", "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
    "Silverline", "Redwood", "Brightpath", "Cobalt", "Evergreen", "Ironclad", "Lumen",
    "Maple", "Nimbus", "Oakridge", "Pioneer", "Quantum", "Riverside", "Summit", "Tidewater",
    "Vertex", "Westfield", "Harbor", "Granite", "Falcon", "Copper", "Aurora", "Beacon",
    "Cedar", "Delta", "Echo", "Fjord", "Helix", "Juniper", "Kestrel", "Lighthouse", "Meridian",
)  # fmt: skip
ORG_SUFFIXES = (
    "Traders", "Logistics", "Analytics", "Labs", "Health", "Foods", "Studios", "Consulting",
    "Outfitters", "Dental", "Legal", "Robotics", "Media", "Energy", "Systems", "Bakery",
    "Architects", "Travel", "Fitness", "Supply Co.", "Ventures", "Clinic", "Partners",
)  # fmt: skip
ORG_TLDS = (".com", ".com", ".com", ".io", ".co", ".net", ".co.uk", ".de")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.com")
FREE_MAIL_LANG = {
    "ko": ("naver.com", "daum.net", "gmail.com"),
    "zh": ("qq.com", "163.com", "126.com"),
    "ja": ("yahoo.co.jp", "gmail.com", "docomo.ne.jp"),
}

# Slot values.
FEATURES = (
    "reports page", "mobile app", "calendar sync", "CSV export", "team inbox", "billing portal",
    "dashboard", "search", "notifications", "Slack integration", "invoice page", "API",
)  # fmt: skip
PRODUCTS = (
    "wireless headphones", "standing desk", "espresso machine", "running shoes", "backpack",
    "smart watch", "desk lamp", "yoga mat", "phone case", "bluetooth speaker",
)  # fmt: skip
PLANS = ("Starter", "Team", "Business", "Enterprise")
DEVICES = ("iPhone 15", "Pixel 8", "Galaxy S23", "iPad", "MacBook", "Windows laptop")
AMOUNTS = ("$19.00", "$49.00", "$79.00", "$129.00", "$240.00", "€59.00", "£35.00")

# topic: weight, group, tags, subjects, opening lines, detail lines, agent lines by purpose.
Topic = dict[str, tuple[str, ...]]
TOPICS: dict[str, Topic] = {
    "refund": {
        "tags": ("refund", "billing"),
        "subjects": (
            "Refund for order #{order} not received",
            "Requesting a refund for order #{order}",
            "Where is my refund?",
            "Refund still pending after {days} days",
            "Return and refund for the {product}",
        ),
        "open": (
            "I returned my order #{order} about {days} days ago and still haven't seen the refund.",
            "I'd like a refund for order #{order}, the {product} arrived damaged.",
            "You confirmed my refund of {amount} but it hasn't reached my card yet.",
            "I cancelled order #{order} right after placing it and was still charged {amount}.",
        ),
        "detail": (
            "The tracking page says the return was delivered to your warehouse.",
            "I paid with a Visa card ending in 4242.",
            "My bank says nothing is pending on their side.",
            "I have attached the receipt and a photo of the box.",
            "This is the second time I'm writing about this.",
            "The order total was {amount} including shipping.",
        ),
        "ask": (
            "Could you send me the email address the order was placed with?",
            "Could you confirm the last four digits of the card you paid with?",
            "Can you send a photo of the damage so I can file it with the carrier?",
        ),
        "progress": (
            "I've asked our billing team to trace the refund of {amount} for order #{order}.",
            "The return was received and is being inspected; refunds follow within two days.",
            "I can see the refund was started on our side; I'm checking why it stalled.",
        ),
        "resolve": (
            "I've issued a full refund of {amount} for order #{order}.",
            "The refund has been processed and should show up within 5-10 business days.",
            "Your refund went out today; depending on your bank it can take a few days to appear.",
        ),
    },
    "billing": {
        "tags": ("billing",),
        "subjects": (
            "Charged twice this month",
            "Invoice INV-{invoice} shows the wrong amount",
            "Question about my latest invoice",
            "Update the billing address on our invoices",
            "Card declined on renewal",
            "VAT number missing from invoice INV-{invoice}",
        ),
        "open": (
            "We were charged {amount} twice for the {plan} plan this month.",
            "Invoice INV-{invoice} shows {amount} but our plan should be cheaper.",
            "Our card was declined on renewal even though it has plenty of funds.",
            "Could you update the billing address on our account? We moved offices.",
            "Our finance team needs our VAT number on invoice INV-{invoice}.",
        ),
        "detail": (
            "We're on the {plan} plan with five seats.",
            "Our accountant needs a corrected invoice before the end of the month.",
            "I checked the billing portal but couldn't find a way to change it myself.",
            "Our bank flagged the second payment and wants to open a chargeback.",
            "Please send the corrected invoice to the same address.",
        ),
        "ask": (
            "Could you tell me the invoice number of the second charge?",
            "Could you send the new billing address exactly as it should appear?",
            "Can you try the payment again and tell me the exact error you see?",
        ),
        "progress": (
            "I've passed this to our billing specialists and will update you when I hear back.",
            "I can see two payments on your account and I'm checking which one to reverse.",
        ),
        "resolve": (
            "I've refunded the duplicate charge of {amount}.",
            "A corrected invoice INV-{invoice} is now in your billing portal.",
            "I've updated the billing address; future invoices will show it.",
            "Your subscription is renewed and the card on file works again.",
        ),
    },
    "login": {
        "tags": ("login",),
        "subjects": (
            "Can't log in after password reset",
            "Two-factor code never arrives",
            "Locked out of my account",
            "SSO login loops back to the sign-in page",
            "Password reset email not received",
        ),
        "open": (
            "I reset my password this morning and now I can't log in at all.",
            "The two-factor code never arrives on my phone, so I'm stuck at the login screen.",
            "My account got locked after a few failed attempts.",
            "When I sign in with SSO it just sends me back to the sign-in page.",
            "I've requested a password reset three times but no email arrives.",
        ),
        "detail": (
            "I've tried Chrome and Safari, same result.",
            "I checked the spam folder too.",
            "It worked fine until yesterday.",
            "I use the {device} for the authenticator.",
            "My whole team is blocked until this is fixed.",
        ),
        "ask": (
            "Could you tell me which email address you use to sign in?",
            "Could you send a screenshot of the error message?",
            "Which browser and version are you using?",
        ),
        "progress": (
            "I've cleared the lock on your account; our engineers are checking the SSO setting.",
            "The reset emails left our side; I'm checking whether your mail server rejected them.",
        ),
        "resolve": (
            "I've unlocked your account; you can sign in again now.",
            "I've reset your two-factor setup; you'll be asked to enroll again at the next login.",
            "The SSO redirect was misconfigured on our side and is fixed now.",
        ),
    },
    "shipping": {
        "tags": ("shipping",),
        "subjects": (
            "Package marked delivered but not here",
            "Order #{order} still hasn't shipped",
            "Wrong item in my package",
            "Tracking number doesn't work",
            "Change the delivery address for order #{order}",
        ),
        "open": (
            "The tracking for order #{order} says delivered but there's no package.",
            "I ordered the {product} {days} days ago and it still hasn't shipped.",
            "I received a {product} instead of what I ordered.",
            "The tracking number you sent doesn't work on the carrier's site.",
            "Can I still change the delivery address for order #{order}?",
        ),
        "detail": (
            "I've checked with my neighbours and the building reception.",
            "I need it before the weekend, it's a gift.",
            "The order confirmation promised delivery in three days.",
            "The box was sealed and the label had my name on it.",
        ),
        "ask": (
            "Could you confirm the full delivery address on the order?",
            "Could you send a photo of the item and the shipping label?",
        ),
        "progress": (
            "I've opened an investigation with the carrier; they usually answer within 48 hours.",
            "Your order is packed and waiting for pickup; I've asked the warehouse to hurry.",
        ),
        "resolve": (
            "I've sent a replacement by express; the tracking number is on your order page.",
            "The carrier found the package and it will be delivered tomorrow.",
            "I've updated the delivery address on order #{order}.",
        ),
    },
    "bug": {
        "tags": ("bug",),
        "subjects": (
            "Export to CSV fails with an error",
            "App crashes when I open the {feature}",
            "Dashboard shows the wrong totals",
            "Sync stopped working since the last update",
            "Error 500 on the {feature}",
            "Notifications arrive twice",
        ),
        "open": (
            "The app crashes every time I open the {feature}.",
            "Exporting to CSV fails with 'Something went wrong'.",
            "Since the last update the {feature} shows an error 500.",
            "The dashboard totals don't match the numbers in our reports.",
            "Sync has stopped working on my {device} since version {version}.",
        ),
        "detail": (
            "I'm on version {version} on a {device}.",
            "It happens for everyone on our team.",
            "Reinstalling the app didn't help.",
            "It started after the update on Tuesday.",
            "Here are the steps: open the {feature}, pick last month, press export.",
        ),
        "ask": (
            "Could you send a screenshot and the time it happened, so I can find it in our logs?",
            "Does it also happen in a private browser window?",
            "Which version of the app do you have installed?",
        ),
        "progress": (
            "I could reproduce the problem and filed it with our engineers as BUG-{bug}.",
            "Our developers are fixing the {feature}; I'll let you know as soon as it ships.",
        ),
        "resolve": (
            "A fix is out in version {version}; please update and tell us if it persists.",
            "Our engineers fixed the {feature} error this morning.",
            "The totals are recalculated and match your reports again.",
        ),
    },
    "feature-request": {
        "tags": ("feature-request",),
        "subjects": (
            "Feature request: dark mode for the {feature}",
            "Could you add bulk editing?",
            "Any plans for an API for the {feature}?",
            "Suggestion: keyboard shortcuts",
        ),
        "open": (
            "It would be great to have a dark mode in the {feature}.",
            "We'd love to edit many records at once instead of one by one.",
            "Are there plans to expose the {feature} through the API?",
            "Keyboard shortcuts would save our team a lot of time.",
        ),
        "detail": (
            "We have about forty people using it every day.",
            "Another tool we use already has this.",
            "This would be a big reason for us to upgrade to the {plan} plan.",
        ),
        "ask": ("Could you tell me a bit more about how your team would use it?",),
        "progress": ("I've shared your idea with our product team; it's on their list to review.",),
        "resolve": (
            "I've added your vote to the request; we'll write when it's on the roadmap.",
            "Good news: this shipped in version {version}!",
        ),
    },
    "account": {
        "tags": ("account",),
        "subjects": (
            "Change the email on my account",
            "Please delete my account",
            "Add a second user to our plan",
            "Upgrade to the annual {plan} plan",
            "Transfer ownership of our workspace",
        ),
        "open": (
            "I'd like to change the email address on my account.",
            "Please delete my account and all my data.",
            "How do I add a colleague to our {plan} plan?",
            "We want to switch to yearly billing on the {plan} plan.",
            "Our admin left the company and we need to transfer ownership of the workspace.",
        ),
        "detail": (
            "I no longer have access to the old address.",
            "We'd like this done before the end of the month.",
            "I'm the only admin on the account at the moment.",
        ),
        "ask": (
            "For security, could you reply from the address on the account?",
            "Could you confirm the new owner's email address?",
        ),
        "progress": ("I've started the change; it needs a confirmation from the current owner.",),
        "resolve": (
            "Done: your account now uses the new address.",
            "Your account and its data have been deleted.",
            "I've switched you to annual billing on the {plan} plan.",
            "Ownership has been transferred.",
        ),
    },
    "cancellation": {
        "tags": ("cancellation", "billing"),
        "subjects": (
            "Cancel my subscription",
            "How do I cancel before renewal?",
            "Please stop the auto-renewal",
        ),
        "open": (
            "Please cancel my subscription before it renews.",
            "I want to cancel, but I can't find the option in the settings.",
            "Please turn off the auto-renewal on our {plan} plan.",
        ),
        "detail": (
            "We're moving to a different tool.",
            "The renewal date is in {days} days.",
            "It's been a good experience, it's just not in our budget this year.",
        ),
        "ask": ("Could you confirm the workspace name you'd like to cancel?",),
        "progress": ("I've scheduled the cancellation for the end of your billing period.",),
        "resolve": (
            "Your subscription is cancelled and you won't be charged again.",
            "I've turned off auto-renewal; your plan stays active until the end of the period.",
        ),
    },
}
TOPIC_WEIGHTS = {
    "refund": 14,
    "billing": 16,
    "login": 14,
    "shipping": 14,
    "bug": 14,
    "feature-request": 8,
    "account": 12,
    "cancellation": 8,
}
TOPIC_GROUP = {
    "refund": "Billing",
    "billing": "Billing",
    "cancellation": "Billing",
    "login": "Technical",
    "bug": "Technical",
    "feature-request": "Technical",
    "shipping": "Support",
    "account": "Support",
}
EXTRA_TAGS = {"bug": ("ios", "android", "web-app"), "login": ("sso", "2fa")}

GREETINGS = ("Hi,", "Hello,", "Hi there,", "Hello support team,", "Good morning,", "Hey,")
SIGNOFFS = (
    "Thanks,",
    "Thank you,",
    "Best regards,",
    "Cheers,",
    "Kind regards,",
    "Thanks in advance,",
)
CUSTOMER_ASKS = (
    "Could you please look into this?",
    "Can you help me with this?",
    "Please let me know what I should do.",
    "I'd appreciate a quick answer.",
    "Thanks for your help.",
)
# Replies to an agent's question, a chaser when nothing happened, a not-fixed reopen, a thank-you.
FOLLOW_INFO = (
    "Sure, the order number is #{order}.",
    "I've attached a screenshot of the error.",
    "I'm on version {version} on a {device}.",
    "Yes, that's the right address.",
    "The card ends in 4242.",
    "It happened around 10am today.",
)
FOLLOW_CHASE = (
    "Any update on this?",
    "It's been a few days now, is there any news?",
    "Just checking in on this.",
    "Is there anything else you need from me?",
)
FOLLOW_REOPEN = (
    "Unfortunately it's still happening.",
    "I still don't see the refund on my statement.",
    "The problem came back this morning.",
    "That didn't work for me, I get the same error.",
)
FOLLOW_THANKS = (
    "Thanks, that worked!",
    "Great, thank you for the quick help.",
    "Perfect, all sorted now.",
    "Thank you, that's exactly what I needed.",
)
AGENT_OPENERS = (
    "Thanks for reaching out.",
    "Thanks for getting in touch.",
    "Sorry for the trouble with this.",
    "Thanks for your patience while we looked into this.",
    "Thanks for the details.",
)
AGENT_CLOSERS = (
    "Let me know if there's anything else I can help with.",
    "If anything else comes up, just reply to this email.",
    "Have a great day!",
    "Please don't hesitate to get back to us.",
)
AGENT_SIGNOFFS = ("Best,", "Kind regards,", "Cheers,", "All the best,", "Thanks,")
NOTES = (
    "Customer is on the {plan} plan, renewal in {days} days.",
    "Checked the logs, nothing obvious. Asking {colleague} to take a look.",
    "Escalated to engineering as BUG-{bug}.",
    "Payment provider shows the charge of {amount} as captured.",
    "{colleague}, can you double-check this one before I reply?",
    "Same issue reported by two other customers this week.",
    "Called the customer, they'll send more details by email.",
    "Offered a 20% discount on the next renewal as goodwill.",
)
HOLD_NOTES = (
    "Waiting on engineering for BUG-{bug}; putting this on hold.",
    "On hold until the carrier investigation comes back.",
    "Waiting for finance to approve the refund of {amount}.",
)

# CJK conversations: subjects, the customer's lines, and the agent's lines by purpose.
CJK: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "ko": {
        "refund": {
            "subjects": ("환불 요청드립니다 (주문번호 {order})", "환불이 아직 안 됐어요"),
            "open": (
                "주문번호 {order} 상품을 환불받고 싶습니다.",
                "지난주에 반품했는데 아직 환불이 처리되지 않았습니다.",
            ),
            "detail": ("결제는 신용카드로 했습니다.", "상품 포장은 뜯지 않았습니다."),
            "resolve": ("환불 처리가 완료되었습니다. 영업일 기준 3~5일 내에 카드사로 반영됩니다.",),
        },
        "login": {
            "subjects": ("로그인이 안 됩니다", "비밀번호 재설정 메일이 오지 않아요"),
            "open": (
                "비밀번호를 바꾼 뒤로 로그인이 되지 않습니다.",
                "인증 코드가 문자로 오지 않습니다.",
            ),
            "detail": ("크롬과 사파리 모두 같은 문제가 있습니다.",),
            "resolve": ("계정 잠금을 해제했습니다. 다시 로그인해 보시겠어요?",),
        },
        "shipping": {
            "subjects": ("배송이 아직 안 왔어요", "주문번호 {order} 배송 문의"),
            "open": ("주문한 지 일주일이 지났는데 배송이 시작되지 않았습니다.",),
            "detail": ("선물용이라 주말 전에 받아야 합니다.",),
            "resolve": ("택배사에 확인한 결과 내일 배송될 예정입니다.",),
        },
        "billing": {
            "subjects": ("결제가 두 번 되었습니다", "청구서 금액이 이상해요"),
            "open": ("이번 달 요금이 두 번 결제되었습니다.", "청구서 금액이 요금제와 다릅니다."),
            "detail": ("카드 명세서를 첨부합니다.",),
            "resolve": ("중복 결제된 금액은 환불해 드렸습니다.",),
        },
    },
    "zh": {
        "refund": {
            "subjects": ("申请退款：订单 {order}", "退款还没有到账"),
            "open": ("您好，我想申请订单{order}的退款。", "我已经退货一个星期了，退款还没有到账。"),
            "detail": ("我是用信用卡付款的。", "商品没有拆封。"),
            "resolve": ("您的退款已经处理，预计3到5个工作日到账。",),
        },
        "login": {
            "subjects": ("无法登录账户", "收不到验证码"),
            "open": ("修改密码以后就无法登录了。", "手机一直收不到验证码。"),
            "detail": ("换了浏览器也是一样的问题。",),
            "resolve": ("您的账户已经解锁，请重新登录试试。",),
        },
        "shipping": {
            "subjects": ("包裹还没有收到", "订单 {order} 物流查询"),
            "open": ("下单一周了，包裹还没有发货。",),
            "detail": ("这是送人的礼物，周末前需要收到。",),
            "resolve": ("快递公司已经确认，明天会送达。",),
        },
        "billing": {
            "subjects": ("重复扣款", "发票金额不对"),
            "open": ("这个月被扣了两次款。", "发票上的金额和套餐价格不一致。"),
            "detail": ("附件是银行账单的截图。",),
            "resolve": ("重复扣款的金额已经退款给您了。",),
        },
    },
    "ja": {
        "refund": {
            "subjects": ("返金のお願い（注文番号 {order}）", "返金がまだ確認できません"),
            "open": (
                "注文番号{order}の商品の返金をお願いしたいです。",
                "先週返品しましたが、まだ返金が確認できません。",
            ),
            "detail": ("支払いはクレジットカードです。", "商品は未開封です。"),
            "resolve": ("返金手続きが完了しました。3〜5営業日以内に反映されます。",),
        },
        "login": {
            "subjects": ("ログインできません", "パスワード再設定のメールが届きません"),
            "open": (
                "パスワードを変更してからログインできなくなりました。",
                "認証コードが届きません。",
            ),
            "detail": ("別のブラウザでも同じです。",),
            "resolve": ("アカウントのロックを解除しました。もう一度ログインをお試しください。",),
        },
        "shipping": {
            "subjects": ("商品がまだ届きません", "注文番号 {order} の配送について"),
            "open": ("注文してから一週間経ちますが、まだ発送されていません。",),
            "detail": ("贈り物なので週末までに必要です。",),
            "resolve": ("配送業者に確認したところ、明日お届け予定です。",),
        },
        "billing": {
            "subjects": ("二重に請求されています", "請求書の金額が違います"),
            "open": (
                "今月の料金が二回請求されています。",
                "請求書の金額がプランの料金と違います。",
            ),
            "detail": ("カードの明細を添付します。",),
            "resolve": ("二重請求分は返金いたしました。",),
        },
    },
}
# Per language: greetings, sign-offs, agent greeting ({name}), agent lines by purpose.
CJK_COMMON: dict[str, dict[str, tuple[str, ...]]] = {
    "ko": {
        "greet": ("안녕하세요.", "수고 많으십니다."),
        "signoff": ("확인 부탁드립니다. 감사합니다.", "빠른 답변 부탁드립니다."),
        "agent_greet": ("안녕하세요 {name}님, 문의해 주셔서 감사합니다.",),
        "ask": ("주문하신 이메일 주소를 알려주시겠어요?", "오류 화면을 캡처해서 보내주시겠어요?"),
        "progress": ("담당 부서에 확인 중이며 결과가 나오는 대로 안내드리겠습니다.",),
        "closer": ("추가로 궁금하신 점이 있으시면 언제든지 연락 주세요.",),
        "agent_signoff": ("감사합니다.",),
        "info": ("네, 주문번호는 {order}입니다.", "캡처 화면을 첨부합니다."),
        "chase": ("혹시 진행 상황이 어떻게 되나요?",),
        "reopen": ("아직도 같은 문제가 있습니다.", "환불이 아직 들어오지 않았습니다."),
        "thanks": ("해결되었습니다. 감사합니다!",),
    },
    "zh": {
        "greet": ("您好，", "你好，"),
        "signoff": ("请尽快帮我处理，谢谢。", "麻烦帮忙看一下，谢谢。"),
        "agent_greet": ("您好{name}，感谢您的来信。",),
        "ask": ("请提供一下下单时使用的邮箱地址。", "请发一张错误页面的截图。"),
        "progress": ("我们已经转给相关部门处理，有结果会第一时间通知您。",),
        "closer": ("如有其他问题，请随时联系我们。",),
        "agent_signoff": ("祝好，",),
        "info": ("订单号是{order}。", "截图已经附上。"),
        "chase": ("请问现在处理得怎么样了？",),
        "reopen": ("问题还是没有解决。", "退款还是没有到账。"),
        "thanks": ("已经解决了，非常感谢！",),
    },
    "ja": {
        "greet": ("お世話になっております。", "はじめてご連絡いたします。"),
        "signoff": ("ご確認のほどよろしくお願いいたします。", "よろしくお願いいたします。"),
        "agent_greet": ("{name}様\nお問い合わせいただきありがとうございます。",),
        "ask": (
            "ご注文時のメールアドレスを教えていただけますか。",
            "エラー画面のスクリーンショットをお送りいただけますか。",
        ),
        "progress": ("担当部署に確認中です。分かり次第ご連絡いたします。",),
        "closer": ("他にご不明な点がございましたら、お気軽にお問い合わせください。",),
        "agent_signoff": ("よろしくお願いいたします。",),
        "info": ("注文番号は{order}です。", "スクリーンショットを添付します。"),
        "chase": ("その後の状況はいかがでしょうか。",),
        "reopen": ("まだ同じ問題が起きています。", "返金がまだ確認できません。"),
        "thanks": ("解決しました。ありがとうございました！",),
    },
}
CJK_TOPIC_WEIGHTS = {"refund": 35, "login": 20, "shipping": 25, "billing": 20}
CJK_TOPIC_TAGS = {
    "refund": ("refund", "billing"),
    "login": ("login",),
    "shipping": ("shipping",),
    "billing": ("billing",),
}

# Tone: lines that make a message read urgent or upset (odds in `thread`), and calm
# lines that only mention urgency to deny it, as real mail does.
URGENT_LINES = {
    "en": (
        "This is urgent: our whole team is blocked until it works again.",
        "We have a client demo tomorrow morning, so we need this fixed today, please.",
        "Sorry to push, but could you treat this as top priority?",
        "Our customers can't pay right now and we are losing sales every hour.",
        "I'd be grateful for an answer by end of day, the deadline is tomorrow.",
        "Please help as soon as possible.",
    ),
    "ko": (
        "급합니다. 오늘 중으로 처리 부탁드립니다.",
        "업무가 마비된 상태라 긴급히 확인 부탁드립니다.",
    ),
    "zh": ("很急，今天之内请帮我处理。", "紧急！我们的业务已经受到影响。"),
    "ja": ("至急ご対応をお願いいたします。", "本日中にご確認いただけますと助かります。"),
}
UPSET_LINES = {
    "en": (
        "Honestly, this is unacceptable.",
        "I'm getting really frustrated with this.",
        "Very disappointed with how long this is taking.",
        "Oh great, another week of waiting.",
        "This is the third time I'm asking.",
        "Thanks for nothing so far.",
    ),
    "ko": ("정말 실망스럽습니다.", "몇 번째 같은 문의인지 모르겠네요."),
    "zh": ("太过分了，一直没人处理。", "非常失望。"),
    "ja": ("何度目の問い合わせでしょうか。", "正直がっかりしています。"),
}
CALM_LINES = {
    "en": ("No rush on this, whenever you get a chance.", "Not urgent at all, just curious."),
    "ko": ("급하지 않으니 천천히 봐주세요.",),
    "zh": ("不急，有空的时候看一下就行。",),
    "ja": ("急ぎではありませんので、お手すきの際にご確認ください。",),
}
