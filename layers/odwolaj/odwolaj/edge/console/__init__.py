"""The clinic console's web side (/panel): pages in Polish without JavaScript (sign-in, the outcome
dashboard with server-drawn SVG charts and their tables, staff, audit log, settings), the CSV and
XLSX exports of every table, cookies and security headers. Rendering only: the routes (`routes/`,
Powertools routers the handler includes) call the use cases and pass in what they decided. The
pages may import core, data, language, security (roles), stats (figures and their definitions)
and edge.web's form helpers; the routes also the use cases."""
