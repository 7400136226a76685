"""The reserve (waiting) list: entries under NFZ rules, their order, and the offers of every freed
slot until someone takes it. README "Reserve list" states the rules."""
