"""Every ``Action.Execute`` verb Mailroom's cards use, and the data each carries.

Card data is untrusted: it carries ids, versions and choices; the bot re-loads the state,
re-takes the permission decision and validates every input on each step.
"""

from __future__ import annotations

HELP = "help.show"
SEND_START = "send.start"  # {}
PICK_SENDER = "send.pick_sender"  # {"sender": address}
WHY = "send.why"  # {"sender": address}
PICK_TEMPLATE = "compose.template"  # {"draft": id, "version": n} + input "template"
PREVIEW = "compose.preview"  # {"draft": id, "version": n} + inputs to/cc/bcc/importance/var_*
COMPOSE_CANCEL = "compose.cancel"  # {"draft": id, "version": n}
SEND = "preview.send"  # {"request": id, "version": n}
EDIT = "preview.edit"  # {"request": id, "version": n}
CANCEL = "send.cancel"  # {"request": id, "version": n}
REQUEST_APPROVAL = "preview.request_approval"  # {"request": id, "version": n}
RETRY = "request.retry"  # {"request": id, "version": n}
RETRY_FAILED = "send.retry_failed"  # {"request": id, "version": n}
REFRESH = "request.refresh"  # {"request": id} (refresh of a status/approval card)
APPROVE = "approval.approve"  # {"request": id, "version": n} + input "comment"
REJECT = "approval.reject"  # {"request": id, "version": n} + input "comment"
STATUS = "request.status"  # {"request": id}
