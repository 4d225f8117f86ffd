"""The task model of bench/admin_bench.py for Django's admin."""
