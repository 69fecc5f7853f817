# Source: https://github.com/ageron/handson-ml3/blob/main/12_custom_models_and_training_with_tensorflow.ipynb
# "Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow", 3rd edition,
# chapter 12: "Custom Training Loops" (l2 regularizers, GradientTape, model.losses,
# tf.add_n, apply_gradients, Mean and MeanAbsoluteError metrics, a status bar).
# Author: Aurélien Géron. Licence: Apache 2.0.
# Changed for the tests: the imports (below), the data (standin.housing_splits() and
# standin.standard_scale() in place of scikit-learn's fetch_california_housing,
# train_test_split and StandardScaler), n_epochs 5 -> 3, and the last lines, which
# report the key figures (the epoch's metrics are read before their reset).
import os
if os.environ.get("REFERENCE") == "tensorflow":
    import tensorflow as tf
elif os.environ.get("REFERENCE"):
    import types
    import keras
    tf = types.SimpleNamespace(keras=keras)  # Keras 3 alone: only tf.keras is there
else:
    import fastnn as tf
import numpy as np
from standin import housing_splits, standard_scale, report

X_train, X_valid, X_test, y_train, y_valid, y_test = housing_splits()
y_train, y_valid, y_test = y_train.reshape(-1, 1), y_valid.reshape(-1, 1), y_test.reshape(-1, 1)
X_train_scaled, X_valid_scaled, X_test_scaled = standard_scale(X_train, X_valid, X_test)

tf.keras.utils.set_random_seed(42)  # extra code – to ensure reproducibility
l2_reg = tf.keras.regularizers.l2(0.05)
model = tf.keras.models.Sequential([
    tf.keras.layers.Dense(30, activation="relu", kernel_initializer="he_normal",
                          kernel_regularizer=l2_reg),
    tf.keras.layers.Dense(1, kernel_regularizer=l2_reg)
])

def random_batch(X, y, batch_size=32):
    idx = np.random.randint(len(X), size=batch_size)
    return X[idx], y[idx]

def print_status_bar(step, total, loss, metrics=None):
    metrics = " - ".join([f"{m.name}: {m.result():.4f}"
                          for m in [loss] + (metrics or [])])
    end = "" if step < total else "\n"
    print(f"\r{step}/{total} - " + metrics, end=end)

tf.keras.utils.set_random_seed(42)
n_epochs = 3
batch_size = 32
n_steps = len(X_train) // batch_size
optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)
loss_fn = tf.keras.losses.MeanSquaredError()
mean_loss = tf.keras.metrics.Mean()
metrics = [tf.keras.metrics.MeanAbsoluteError()]
for epoch in range(1, n_epochs + 1):
    print(f"Epoch {epoch}/{n_epochs}")
    for step in range(1, n_steps + 1):
        X_batch, y_batch = random_batch(X_train_scaled, y_train)
        with tf.GradientTape() as tape:
            y_pred = model(X_batch, training=True)
            main_loss = tf.reduce_mean(loss_fn(y_batch, y_pred))
            loss = tf.add_n([main_loss] + model.losses)

        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))

        # extra code – if your model has variable constraints
        for variable in model.variables:
            if variable.constraint is not None:
                variable.assign(variable.constraint(variable))

        mean_loss(loss)
        for metric in metrics:
            metric(y_batch, y_pred)

        print_status_bar(step, n_steps, mean_loss, metrics)

    last_epoch_loss, last_epoch_mae = mean_loss.result(), metrics[0].result()
    for metric in [mean_loss] + metrics:
        metric.reset_state()

test_pred = model(X_test_scaled)
report(loss=last_epoch_loss, mae=last_epoch_mae,
       test_mse=np.mean((np.asarray(test_pred) - y_test) ** 2))
