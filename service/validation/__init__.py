"""SHACL validation and `dakg validate`: the engine, its reports and the command. Never imports the web layer."""
