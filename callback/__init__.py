"""The OAuth callback web app: completes a user's GitHub consent for the session they started."""
