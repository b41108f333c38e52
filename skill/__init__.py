"""Recovery Coach's Alexa custom-skill backend: Flask web service and AWS Lambda handler."""

from skill.lambda_function import lambda_handler
from skill.settings import Settings, load_settings
from skill.web import create_app

__all__ = ["Settings", "create_app", "lambda_handler", "load_settings"]
