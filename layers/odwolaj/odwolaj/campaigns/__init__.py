"""Campaigns: reactivation of lapsed patients and the rebook nudge after a cancellation. The visit
history and consents they select on (records, history, imports), segments and their preview,
drafts and launches with a control group, the dispatcher that releases messages at the set rate in
working hours, the checks made when each message goes out (sending), the patient's way back
(page, replies, responses, the clinic's open slots) and the result against the control group.
docs/campaigns.md states the rules. May import reserve (a published slot is taken with the reserve
list's claim), appointments and everything below them; never messaging, use cases or the edge."""
