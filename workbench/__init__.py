"""NICE coding workbench: apply NICE interventional procedures guidance to OPCS-4 and ICD-10 coding."""

__version__ = "0.1.0"
