import os, tempfile
import pytest

# Each test session decodes into its own cache, so tests never depend on (or damage) a user's cache,
# except for the embedded MNIST copy, which is shared read-only state and slow to rebuild.
@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch, request):
    if 'shared_cache' in request.keywords: return
    monkeypatch.setenv('DIGITLIB_CACHE', str(tmp_path/'cache'))

def pytest_configure(config):
    config.addinivalue_line('markers', 'shared_cache: use the user cache (for the embedded digits)')
