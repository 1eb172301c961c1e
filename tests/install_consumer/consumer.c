/* A tiny external program built against an installed clnn. */
#include <clnn/clnn.h>
#include <stdio.h>

int main(void)
{
    clnn_context *ctx;
    if (clnn_context_create(NULL, &ctx) != CLNN_OK) {
        fprintf(stderr, "consumer: %s\n", clnn_last_error(NULL));
        return 1;
    }
    size_t n = 5;
    clnn_tensor *t;
    float out[5];
    int ok = clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t) == CLNN_OK && clnn_tensor_fill(t, 3.0f) == CLNN_OK &&
             clnn_tensor_download(t, out, sizeof out) == CLNN_OK && out[4] == 3.0f;
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    printf("consumer: clnn %s %s\n", clnn_version(), ok ? "works" : "FAILED");
    return ok ? 0 : 1;
}
