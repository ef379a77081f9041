"""salesbot: a conversational sales assistant for retail chains."""
