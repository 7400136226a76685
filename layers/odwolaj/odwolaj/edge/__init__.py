"""Edge: HTTP as the clinic API and the patient pages speak it: request parsing, domain errors
mapped to statuses once, views for integrators (api), and the HTML pages with their form checks
(web). The only package that imports Powertools' HTTP resolver. Used by handlers only; may import
anything below it, never messaging or use cases."""
