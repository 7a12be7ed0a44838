"""Per-customer controller.yaml: the stored config, its generation from the template, the diff
against a controller's live file, and the calls to the controller (push, pull, update)."""
