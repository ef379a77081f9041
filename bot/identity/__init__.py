"""Who a WeChat user is: proving she owns a member's phone number, then binding."""
