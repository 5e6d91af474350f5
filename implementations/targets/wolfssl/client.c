/*
 * A small TLS client on wolfSSL (libwolfssl-dev), in the shape of wolfSSL's client example: TLS 1.2 and 1.3,
 * the server's chain verified against CA_PEM (WOLFSSL_VERIFY_PEER) and its name against "localhost"
 * (wolfSSL_check_domain_name; also sent as SNI), ALPN http/1.1, TLS 1.2 session tickets offered, a client
 * certificate sent when the server asks for one. It sends what it reads on stdin and prints what it receives, until the peer closes or it is
 * killed.
 *
 *   wolfssl-client HOST PORT CA_PEM [CLIENT_CHAIN CLIENT_KEY]
 *   wolfssl-client --version
 *
 * Exit code 0 when the connection ended with the peer's close_notify after a completed handshake, 1 otherwise.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void fail(const char *what, WOLFSSL *ssl, int ret) {
  char msg[WOLFSSL_MAX_ERROR_SZ];
  int err = ssl ? wolfSSL_get_error(ssl, ret) : ret;
  fprintf(stderr, "wolfssl-client: %s failed: %d %s\n", what, err, wolfSSL_ERR_error_string((unsigned long)err, msg));
}

int main(int argc, char *argv[]) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("wolfssl-client on wolfSSL %s\n", wolfSSL_lib_version());
    return 0;
  }
  if (argc != 4 && argc != 6) {
    fprintf(stderr, "usage: wolfssl-client HOST PORT CA_PEM [CLIENT_CHAIN CLIENT_KEY]\n");
    return 2;
  }
  wolfSSL_Init();
  /* wolfSSLv23_client_method: the highest version both sides have (TLS 1.3 here), down to the minimum below. */
  WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
  if (!ctx || wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
    fprintf(stderr, "wolfssl-client: cannot set up the context\n");
    return 1;
  }
  int ret = wolfSSL_CTX_load_verify_locations(ctx, argv[3], NULL);
  if (ret != WOLFSSL_SUCCESS) { fail("loading the CA", NULL, ret); return 1; }
  wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
  if (argc == 6) {
    ret = wolfSSL_CTX_use_certificate_chain_file(ctx, argv[4]);
    if (ret == WOLFSSL_SUCCESS) ret = wolfSSL_CTX_use_PrivateKey_file(ctx, argv[5], WOLFSSL_FILETYPE_PEM);
    if (ret != WOLFSSL_SUCCESS) { fail("loading the client certificate", NULL, ret); return 1; }
  }

  int sock = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[2]));
  if (sock < 0 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
    fprintf(stderr, "wolfssl-client: cannot connect to %s:%s: %s\n", argv[1], argv[2], strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  WOLFSSL *ssl = wolfSSL_new(ctx);
  if (!ssl) { fprintf(stderr, "wolfssl-client: wolfSSL_new failed\n"); return 1; }
  wolfSSL_set_fd(ssl, sock);
  const char *name = "localhost"; /* the test certificates' name */
  wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name, (unsigned short)strlen(name));
  wolfSSL_check_domain_name(ssl, name);
  char alpn[] = "http/1.1";
  wolfSSL_UseALPN(ssl, alpn, (unsigned int)strlen(alpn), WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
  /* RFC 5077 session tickets in TLS 1.2 (wolfSSL's client offers none unless asked; OpenSSL, GnuTLS, NSS, Botan
     and mbedTLS clients do by default). */
  wolfSSL_UseSessionTicket(ssl);

  ret = wolfSSL_connect(ssl);
  if (ret != WOLFSSL_SUCCESS) { fail("the handshake", ssl, ret); return 1; }
  fprintf(stderr, "wolfssl-client: handshake complete, %s %s\n", wolfSSL_get_version(ssl), wolfSSL_get_cipher_name(ssl));

  int stdin_open = 1, status = 1;
  char buf[16384];
  for (;;) {
    if (wolfSSL_pending(ssl) == 0) {
      struct pollfd fds[2] = {{sock, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      if (poll(fds, stdin_open ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) stdin_open = 0; /* keep the connection: the peer ends it, or we are killed */
        else if ((ret = wolfSSL_write(ssl, buf, (int)n)) <= 0) { fail("write", ssl, ret); break; }
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    ret = wolfSSL_read(ssl, buf, sizeof buf);
    if (ret > 0) {
      fwrite(buf, 1, (size_t)ret, stdout);
      fflush(stdout);
      continue;
    }
    int err = wolfSSL_get_error(ssl, ret);
    if (err == WOLFSSL_ERROR_WANT_READ) continue;
    if (err == WOLFSSL_ERROR_ZERO_RETURN) {
      fprintf(stderr, "wolfssl-client: close_notify received\n");
      wolfSSL_shutdown(ssl);
      status = 0;
    } else {
      fail("read", ssl, ret);
    }
    break;
  }
  wolfSSL_free(ssl);
  close(sock);
  wolfSSL_CTX_free(ctx);
  wolfSSL_Cleanup();
  return status;
}
