/* ISO 7816-4 and protocol status words, in one place. */
#ifndef CARDFORGE_SW_H
#define CARDFORGE_SW_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

#define SW_OK 0x9000
#define SW_BYTES_REMAINING(n) (0x6100 | ((n)&0xFF))
#define SW_WRONG_LE(n) (0x6C00 | ((n)&0xFF))
#define SW_WARNING_STATE_UNCHANGED 0x6200
#define SW_VERIFY_FAIL(tries) (0x63C0 | ((tries)&0x0F))
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_LOGICAL_CHANNEL_NOT_SUPPORTED 0x6881
#define SW_SECURE_MESSAGING_NOT_SUPPORTED 0x6882
#define SW_LAST_COMMAND_EXPECTED 0x6883
#define SW_CHAINING_NOT_SUPPORTED 0x6884
#define SW_SECURITY_STATUS_NOT_SATISFIED 0x6982
#define SW_AUTH_METHOD_BLOCKED 0x6983
#define SW_DATA_INVALID 0x6984
#define SW_CONDITIONS_NOT_SATISFIED 0x6985
#define SW_COMMAND_NOT_ALLOWED 0x6986
#define SW_SM_DATA_OBJECTS_MISSING 0x6987
#define SW_SM_DATA_OBJECTS_INCORRECT 0x6988
#define SW_APPLET_SELECT_FAILED 0x6999 /* Java Card: no applet selected, or the applet refused */
#define SW_WRONG_DATA 0x6A80
#define SW_FUNC_NOT_SUPPORTED 0x6A81
#define SW_FILE_NOT_FOUND 0x6A82
#define SW_RECORD_NOT_FOUND 0x6A83
#define SW_NOT_ENOUGH_MEMORY 0x6A84
#define SW_INCORRECT_P1P2 0x6A86
#define SW_REFERENCED_DATA_NOT_FOUND 0x6A88
#define SW_WRONG_P1P2 0x6B00
#define SW_INS_NOT_SUPPORTED 0x6D00
#define SW_CLA_NOT_SUPPORTED 0x6E00
#define SW_UNKNOWN 0x6F00
#define SW_GP_ALGORITHM_NOT_SUPPORTED 0x9484
#define SW_GP_INVALID_KCV 0x9485

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
