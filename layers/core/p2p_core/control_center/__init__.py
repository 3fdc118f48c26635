"""The control center: the CloudFront Function whose response headers tell agents what to do (SPEC §5)."""
