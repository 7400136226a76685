"""Reserve (waiting) list: entries under NFZ rules, their order, planned dates, and the offers of
every freed slot until someone takes it; its SMS texts and the offer page's use cases. README
"Reserve list" states the rules. May import appointments (a claim books a visit), payments (pay to
claim) and everything below them; never messaging, use cases or the edge."""
