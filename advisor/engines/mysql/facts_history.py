"""The run history's earlier sample of this target (`--history`), for the forecast checks."""

from advisor.facts import provides
from advisor.forecast import no_history

provides("mysql", "mysql.history")(no_history)
