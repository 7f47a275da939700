"""Microsoft Graph v1.0 stand-in: routing, authorization, directory, mail, ``$batch``."""
