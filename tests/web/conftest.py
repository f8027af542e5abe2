"""The small shop of the command-line tests, and the Bot API stand-in, for the web tests."""

from tests.cli.conftest import botapi, shop, shop_file, use_database

__all__ = ["botapi", "shop", "shop_file", "use_database"]
