"""The checks: single verdicts on crafted providers, the mutation matrix, hostile providers."""
