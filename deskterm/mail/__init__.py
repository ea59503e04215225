"""Pure mail handling: bytes in, plain values out; no network, no database.

Import from the modules (`deskterm.mail.parse`, `.quotes`, ...): this package
re-exports nothing, so the ticket screen's `quotes` does not pull in the whole
parser (the email package, nh3, charsets: ~150 ms at the first ticket opened).
"""
