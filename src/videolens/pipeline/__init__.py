"""The Temporal pipeline: workflow, activities, workers and the embedded dev server."""
