"""The patient's web pages: Polish copy, HTML without JavaScript, one stylesheet, security headers.

Pure rendering: nothing here talks to DynamoDB; handlers pass in what the domain decided.
"""
