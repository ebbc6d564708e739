"""MongoDB checks (facts come from advisor.engines.mongo; these modules never import pymongo)."""
