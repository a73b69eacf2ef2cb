"""Contract tests: what the bot sends Discord, checked against Discord's own API spec.

`check` validates each recorded request body against the vendored OpenAPI spec (`spec`), the
documented limits the schema lacks (`rules`) and the mention policy (`mentions`); the autouse
`discord_contract` fixture in tests/conftest.py runs it after every simcord test.
"""
