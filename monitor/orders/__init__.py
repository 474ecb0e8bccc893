"""From 通报 to 整改 to 复核.

``issue_tongbao`` freezes what a 通报 cites over a period and opens one rectification order
(整改单) per account; the unit replies (``add_reply``, attachments checked by content);
the inspector re-checks (``recheck_account`` crawls the account now and closes or reopens
its orders on the fresh result, never on a failed fetch) or closes an order by hand.
Open orders past their deadline are 逾期 (``effective_state``); alerts and Annex 3's
figures read that.
"""
from monitor.orders.issue import IssueError, issue_tongbao
from monitor.orders.states import OPEN_STATES, OrderError, close_order, effective_state, order_json

__all__ = ["IssueError", "OPEN_STATES", "OrderError", "close_order", "effective_state", "issue_tongbao",
           "order_json"]
