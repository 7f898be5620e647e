/**
 * Text out of raw documents, for building corpora: mail ({@link dev.kiln.data.text.MailMessage}:
 * RFC 5322 headers, MIME multipart bodies, base64 and quoted-printable, charsets, RFC 2047
 * encoded-words; {@link dev.kiln.data.text.MboxReader} streams mbox files) and HTML ({@link
 * dev.kiln.data.text.HtmlText}). Everything here reads malformed input on a best-effort basis and
 * never throws because of what a document contains: corpora are full of broken mail.
 */
package dev.kiln.data.text;
