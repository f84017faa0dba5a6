"""Reliability: processes killed mid-work, and parsers fed anything (see docs/reliability.md)."""
