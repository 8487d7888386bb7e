"""Pure rules: field validation and the decision policy. No I/O, no clock."""
