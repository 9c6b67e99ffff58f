# The tests that need neither aiobotocore (which pins botocore), nor real clients, nor
# a checkout on the path, nor the slow reliability groups: sourced by compat and wheel.
# Two workers, as the README's test command (the venvs install pytest-xdist).
core_tests=(--ignore=tests/test_async.py --ignore=tests/test_server_clients.py
            --ignore=tests/test_dashboard.py --ignore=tests/test_browser_attack.py --ignore=tests/test_fuzz.py
            --ignore=tests/test_concurrency.py --ignore=tests/test_reference_model.py
            --ignore=tests/test_docs.py --ignore=tests/test_notebook.py --ignore=tests/test_typing.py
            --ignore=tests/test_examples.py
            -n 2 -q -p no:cacheprovider -W ignore::DeprecationWarning)
