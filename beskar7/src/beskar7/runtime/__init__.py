"""The controller runtime on top of a store: work queue, informers, the controller loop, the
manager, leader election, events, health and metrics probes, the loop's metrics."""
