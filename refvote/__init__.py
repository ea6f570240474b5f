"""refvote's command line. The only package allowed to import all the others."""

__version__ = "0.1.0"
