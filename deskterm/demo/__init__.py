"""A realistic throwaway store for `deskterm demo`, screenshots and benchmarks."""

from deskterm.demo.build import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo"]
