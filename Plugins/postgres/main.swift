import StrataPluginKit

PluginServer.main(PostgresProvider())
