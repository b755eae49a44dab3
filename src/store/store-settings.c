/*
 * store-settings.c -- the key/value settings table: the preferences a
 * front end keeps with the conversations (one value per key; setting
 * NULL removes the key).
 */
#include "store-int.h"

int
store_setting_get(struct store *s, const char *key, char **value,
    char **cause)
{
	*value = NULL;
	if (store_get(s, &store_text_row, value, "reading a setting", cause,
	    "SELECT value FROM settings WHERE key = ?", "t", key) < 0)
		return -1;
	return 0;
}

int
store_setting_set(struct store *s, const char *key, const char *value,
    char **cause)
{
	return store_write(s, "saving a setting", cause, value != NULL ?
	    "INSERT INTO settings (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value" :
	    "DELETE FROM settings WHERE key = ?1", "tt", key, value);
}
