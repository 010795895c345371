"""The compiled core: agent state as arrays and the word-of-mouth kernels."""

from simulator.core.state import AgentState, Opinion, Source

__all__ = ["AgentState", "Opinion", "Source"]
