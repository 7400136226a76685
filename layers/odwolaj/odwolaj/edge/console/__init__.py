"""The clinic console's web side (/panel): pages in Polish without JavaScript (sign-in, the outcome
dashboard with server-drawn SVG charts and their tables, staff, audit log, settings), the CSV and
XLSX exports of every table, cookies and security headers. Rendering only: handlers pass in what
the use cases decided. May import core, data, language, security (roles), stats (figures and
their definitions) and edge.web's form helpers."""
