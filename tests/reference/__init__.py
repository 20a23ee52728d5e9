"""The embedded reference provider: its model and parsing (units), its HTTP and Responses API, every flavour."""
