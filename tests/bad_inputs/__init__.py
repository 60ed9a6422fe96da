"""The bad-input corpus: small cases as files here, large ones made by `generate`."""
