"""Discord's limits, named once, with where each number comes from.

Source: https://discord.com/developers/docs/resources/message#embed-object-embed-limits,
.../interactions/message-components and .../interactions/application-commands.
"""

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR_NAME = 256
#: Sum of title, description, field names/values, footer and author across a message's embeds.
EMBEDS_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
MESSAGE_CONTENT = 2000

CUSTOM_ID = 100
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_OPTION_LABEL = 100
SELECT_OPTION_VALUE = 100
SELECT_OPTION_DESCRIPTION = 100

AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

MODAL_INPUTS = 5
TEXT_INPUT_VALUE = 4000
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100

#: Thread and forum post names (channel object: name, 1-100 characters).
THREAD_NAME = 100
#: Most tags one forum post may carry (channel object: applied_tags).
FORUM_TAGS_MAX = 5

#: How long an interaction's token may edit its response (interactions: "Interaction tokens are
#: valid for 15 minutes").
INTERACTION_TOKEN_SECONDS = 15 * 60

#: Discord's global rate limit for a bot: requests per second across all routes.
GLOBAL_REQUESTS_PER_SECOND = 50

COMMAND_NAME = 32
COMMAND_DESCRIPTION = 100
COMMAND_OPTIONS = 25
#: Combined name, description and option text of one slash command (subcommands included).
COMMAND_TOTAL_CHARS = 4000
GLOBAL_CHAT_COMMANDS = 100
