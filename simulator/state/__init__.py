"""The state of a run: agent arrays, the talker list, and the table of per-step series."""

from simulator.state.agents import AgentState, Heard, Memory, Opinion, Source, TalkerList

__all__ = ["AgentState", "Heard", "Memory", "Opinion", "Source", "TalkerList"]
