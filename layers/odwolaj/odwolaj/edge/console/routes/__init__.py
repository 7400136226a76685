"""The console's routes, one Powertools router a part of the panel, included by the handler
(functions/console/app.py): `signin` (the sign-in steps, signing out), `outcomes` (the dashboard, its
exports, the definitions), `staff` (the staff and the audit log), `waiting_list`, `today_board`,
`settings` (the results' settings and the manager's rules), `bookings` (manual bookings and the CSV
import). `common` holds what every route reads from the request: the session, the genuine form, the
query. The routers import only `common`, never one another (pyproject.toml's import contracts)."""
