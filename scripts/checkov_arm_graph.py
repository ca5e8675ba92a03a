"""Time checkov's ARM graph builder on a list of templates (one process).

Usage: python checkov_arm_graph.py FILE...   (prints one JSON line)

Parsing (checkov.arm.utils.get_files_definitions) and graph building
(ArmGraphManager.build_graph_from_definitions, variables rendered) are
timed apart; checkov's checks are not run. Used by scripts/graph-vs-checkov.sh.
"""
import json
import logging
import sys
import time

logging.disable(logging.CRITICAL)

from checkov.arm.graph_manager import ArmGraphManager  # noqa: E402
from checkov.arm.utils import get_files_definitions  # noqa: E402
from checkov.common.graph.db_connectors.networkx.networkx_db_connector import (  # noqa: E402
    NetworkxConnector,
)

files = sys.argv[1:]
t0 = time.perf_counter()
definitions, _raw, parsing_errors = get_files_definitions(files)
t1 = time.perf_counter()
manager = ArmGraphManager(db_connector=NetworkxConnector())
graph = manager.build_graph_from_definitions(definitions)
t2 = time.perf_counter()
print(
    json.dumps(
        {
            "files": len(files),
            "parsed": len(definitions),
            "parsing_errors": len(parsing_errors),
            "vertices": len(graph.vertices),
            "edges": len(graph.edges),
            "parse_s": round(t1 - t0, 3),
            "graph_s": round(t2 - t1, 3),
            "total_s": round(t2 - t0, 3),
        }
    )
)
