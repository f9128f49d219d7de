"""The one shared package: plumbing every service uses, each piece once.

It imports no service package.
"""
