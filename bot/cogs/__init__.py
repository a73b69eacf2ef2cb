"""The features, one package (a discord.py extension) each; bot.app.EXTENSIONS lists them."""
