"""`serbench crosscheck`: serbench's encode/decode figures held against the codecs' own
benchmark methods (orjson's pytest-benchmark runs, msgspec's `timeit` autorange) on the same
calls and inputs, so a disagreement is found, named and explained rather than published."""
