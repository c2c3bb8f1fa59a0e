"""Baseline WSGI apps the load benchmark serves under gunicorn, configured by BENCH_* variables."""
