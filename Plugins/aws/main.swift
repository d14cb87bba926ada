import StrataPluginKit

PluginServer.main(AWSProvider())
