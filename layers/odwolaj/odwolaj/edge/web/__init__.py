"""The patient's web pages: Polish copy, HTML without JavaScript, one stylesheet, security headers;
reading posted forms and refusing cross-site posts; the answers every page gives alike (responses,
through Powertools' HTTP resolver). Rendering only: nothing here talks to DynamoDB, handlers pass in
what the use cases decided. May import core, data (statuses) and language."""
